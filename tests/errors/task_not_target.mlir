// expect: 5:20: error: first operand of 'avial.task' must be an '!avial.target' value, but '%a' is a memref
// The first operand of a task must be a target.
avial.schedule %a, %b : memref<4xi32>, memref<4xi32> {
  %cpu = avial.target {arch = "x86_64"}
  %t1 = avial.task %a, %b, %b {
  }
}
