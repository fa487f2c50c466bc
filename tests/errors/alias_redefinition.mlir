// expect: 4:1: error: redefinition of attribute alias '#loc1'
// An attribute alias is defined once (MLIR rejects the second definition).
#loc1 = loc("a.mlir":1:1)
#loc1 = loc("b.mlir":2:2)
avial.schedule %a : memref<4xi32> {
  %cpu = avial.target {arch = "x86_64"}
  %t1 = avial.task %cpu writes(%a) {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : i32
    memref.store %c1, %a[%c0] : memref<4xi32>
  } loc(#loc1)
}
