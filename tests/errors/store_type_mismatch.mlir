// expect: 8:5: error: type mismatch: 'memref.store' value and the element type of '%b' must agree, found i32 and f32
// Storing an f32 into a memref of i32.
avial.schedule %a, %b : memref<4xf32>, memref<4xi32> {
  %cpu = avial.target {arch = "x86_64"}
  %t1 = avial.task %cpu reads(%a) writes(%b) {
    %c0 = arith.constant 0 : index
    %x = memref.load %a[%c0] : memref<4xf32>
    memref.store %x, %b[%c0] : memref<4xi32>
  }
}
