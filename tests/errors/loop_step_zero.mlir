// expect: 5:28: error: the step of 'scf.for' in 'avial.schedule' must be positive, not 0
// A schedule loop with step 0 would never end.
avial.schedule %u : memref<8xi32> {
  %cpu = avial.target {arch = "x86_64"}
  scf.for %t = 0 to 4 step 0 {
    %a = avial.task %cpu writes(%u) {
      %c0 = arith.constant 0 : index
      %v = arith.constant 1 : i32
      memref.store %v, %u[%c0] : memref<8xi32>
    }
  }
}
