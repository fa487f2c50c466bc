// expect: 9:5: error: task '%t1' stores into '%a', which it does not declare written
// The body stores into %a, which the task declares only read.
avial.schedule %a, %b : memref<4xi32>, memref<4xi32> {
  %cpu = avial.target {arch = "x86_64"}
  %t1 = avial.task %cpu reads(%a) writes(%b) {
    %c0 = arith.constant 0 : index
    %x = memref.load %a[%c0] : memref<4xi32>
    memref.store %x, %b[%c0] : memref<4xi32>
    memref.store %x, %a[%c0] : memref<4xi32>
  }
}
