// expect: 10:21: error: the upper bound of 'scf.for' in 'avial.schedule' must be a constant index ('arith.constant' in the schedule region, or an integer literal), but '%b' is a task
// A task's result is not a bound.
avial.schedule %u : memref<8xi32> {
  %cpu = avial.target {arch = "x86_64"}
  %b = avial.task %cpu writes(%u) {
    %c0 = arith.constant 0 : index
    %v = arith.constant 1 : i32
    memref.store %v, %u[%c0] : memref<8xi32>
  }
  scf.for %t = 0 to %b {
    %a = avial.task %cpu writes(%u) {
      %c0 = arith.constant 0 : index
      %v = arith.constant 1 : i32
      memref.store %v, %u[%c0] : memref<8xi32>
    }
  }
}
