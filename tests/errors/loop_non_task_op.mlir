// expect: 7:13: error: 'arith.addi' is not allowed in a loop of 'avial.schedule'; a loop holds 'avial.task' ops and nested 'scf.for' loops (put computations in a task)
// A schedule loop holds tasks, not computations.
avial.schedule %u : memref<8xi32> {
  %cpu = avial.target {arch = "x86_64"}
  %c1 = arith.constant 1 : index
  scf.for %t = 0 to 4 {
    %next = arith.addi %t, %c1 : index
    %a = avial.task %cpu writes(%u) {
      %c0 = arith.constant 0 : index
      %v = arith.constant 1 : i32
      memref.store %v, %u[%c0] : memref<8xi32>
    }
  }
}
