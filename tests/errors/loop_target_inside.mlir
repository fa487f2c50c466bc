// expect: 5:12: error: 'avial.target' must be outside the loops of the schedule
// Targets are declared once, outside the loops.
avial.schedule %u : memref<8xi32> {
  scf.for %t = 0 to 4 {
    %cpu = avial.target {arch = "x86_64"}
    %a = avial.task %cpu writes(%u) {
      %c0 = arith.constant 0 : index
      %v = arith.constant 1 : i32
      memref.store %v, %u[%c0] : memref<8xi32>
    }
  }
}
