// expect: 8:10: error: 'arith.addf' needs a float type, found i32
// arith.addf needs floats; these loads give i32.
avial.schedule %a, %b : memref<4xi32>, memref<4xi32> {
  %cpu = avial.target {arch = "x86_64"}
  %t1 = avial.task %cpu reads(%a) writes(%b) {
    %c0 = arith.constant 0 : index
    %x = memref.load %a[%c0] : memref<4xi32>
    %y = arith.addf %x, %x : i32
    memref.store %y, %b[%c0] : memref<4xi32>
  }
}
