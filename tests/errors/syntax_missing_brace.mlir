// expect: 9:2: error: unexpected end of file: expected '}' to close the region opened at 3:54
// The task body is never closed.
avial.schedule %a, %b : memref<4xi32>, memref<4xi32> {
  %cpu = avial.target {arch = "x86_64"}
  %t1 = avial.task %cpu reads(%a) writes(%b) {
    %c0 = arith.constant 0 : index
    %x = memref.load %a[%c0] : memref<4xi32>
    memref.store %x, %b[%c0] : memref<4xi32>
}
