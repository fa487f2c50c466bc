// expect: 5:31: error: '%cpu' in the reads of 'avial.task' is not a memref of the schedule
// A target is not a memref of the schedule.
avial.schedule %a, %b : memref<4xi32>, memref<4xi32> {
  %cpu = avial.target {arch = "x86_64"}
  %t1 = avial.task %cpu reads(%cpu) writes(%b) {
    %v = arith.constant 1 : i32
    %c0 = arith.constant 0 : index
    memref.store %v, %b[%c0] : memref<4xi32>
  }
}
