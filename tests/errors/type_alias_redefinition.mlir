// expect: 4:1: error: redefinition of type alias '!v'
// A type alias is defined once (MLIR rejects the second definition).
!v = memref<4xi32>
!v = memref<8xi32>
avial.schedule %a : !v {
  %cpu = avial.target {arch = "x86_64"}
  %t1 = avial.task %cpu writes(%a) {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : i32
    memref.store %c1, %a[%c0] : !v
  }
}
