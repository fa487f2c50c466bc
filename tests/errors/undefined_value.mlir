// expect: 7:18: error: use of undefined value '%y'
// A load from a value that was never defined.
avial.schedule %a, %b : memref<4xi32>, memref<4xi32> {
  %cpu = avial.target {arch = "x86_64"}
  %t1 = avial.task %cpu reads(%a) writes(%b) {
    %x = memref.load %a[0] : memref<4xi32>
    memref.store %y, %b[0] : memref<4xi32>
  }
}
