// expect: 7:25: error: float literal '1e3' needs a '.': write 1.0e3
// MLIR's float literals have a '.'; it reads 1e3 as 1 followed by a name.
avial.schedule %a : memref<4xf32> {
  %cpu = avial.target {arch = "x86_64"}
  %t1 = avial.task %cpu writes(%a) {
    %c0 = arith.constant 0 : index
    %x = arith.constant 1e3 : f32
    memref.store %x, %a[%c0] : memref<4xf32>
  }
}
