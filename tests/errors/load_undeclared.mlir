// expect: 7:10: error: task '%t1' loads '%c', which it does not declare read
// The body loads %c, which the task does not declare.
avial.schedule %a, %b, %c : memref<4xi32>, memref<4xi32>, memref<4xi32> {
  %cpu = avial.target {arch = "x86_64"}
  %t1 = avial.task %cpu reads(%a) writes(%b) {
    %c0 = arith.constant 0 : index
    %x = memref.load %c[%c0] : memref<4xi32>
    memref.store %x, %b[%c0] : memref<4xi32>
  }
}
