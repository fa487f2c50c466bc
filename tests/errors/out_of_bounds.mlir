// expect: 8:10: error: index 4 is out of bounds for dimension 0 of '%a' (memref<4xi32>, valid indices 0..3)
// Index 4 is past the end of memref<4xi32>.
avial.schedule %a, %b : memref<4xi32>, memref<4xi32> {
  %cpu = avial.target {arch = "x86_64"}
  %t1 = avial.task %cpu reads(%a) writes(%b) {
    %c0 = arith.constant 0 : index
    %c4 = arith.constant 4 : index
    %x = memref.load %a[%c4] : memref<4xi32>
    memref.store %x, %b[%c0] : memref<4xi32>
  }
}
