// expect: 8:16: error: the lower bound of 'scf.for' in 'avial.schedule' must be an index, but '%c0' is i32
// The bounds of a schedule loop are index constants, not i32 ones.
avial.schedule %u : memref<8xi32> {
  %cpu = avial.target {arch = "x86_64"}
  %c0 = arith.constant 0 : i32
  %c4 = arith.constant 4 : i32
  %c1 = arith.constant 1 : i32
  scf.for %t = %c0 to %c4 step %c1 : i32 {
    %a = avial.task %cpu writes(%u) {
      %c0 = arith.constant 0 : index
      %v = arith.constant 1 : i32
      memref.store %v, %u[%c0] : memref<8xi32>
    }
  }
}
