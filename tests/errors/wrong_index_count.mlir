// expect: 7:10: error: 'memref.load' of '%a' (memref<4x4xf64>) needs 2 indices, found 1
// A 2-D memref needs two indices.
avial.schedule %a, %b : memref<4x4xf64>, memref<4x4xf64> {
  %cpu = avial.target {arch = "x86_64"}
  %t1 = avial.task %cpu reads(%a) writes(%b) {
    %c0 = arith.constant 0 : index
    %x = memref.load %a[%c0] : memref<4x4xf64>
    memref.store %x, %b[%c0, %c0] : memref<4x4xf64>
  }
}
