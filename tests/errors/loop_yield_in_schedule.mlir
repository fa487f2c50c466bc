// expect: 10:3: error: 'scf.yield' is not allowed directly in 'avial.schedule'; it holds 'avial.target' and 'avial.task' ops and 'scf.for' loops around tasks (put computations in a task)
// 'scf.yield' ends loop bodies, not the schedule (mlir-opt rejects it there too).
avial.schedule %u : memref<8xi32> {
  %cpu = avial.target {arch = "x86_64"}
  %a = avial.task %cpu writes(%u) {
    %c0 = arith.constant 0 : index
    %v = arith.constant 1 : i32
    memref.store %v, %u[%c0] : memref<8xi32>
  }
  scf.yield
}
