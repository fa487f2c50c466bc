// expect: 6:21: error: the upper bound of 'scf.for' in 'avial.schedule' must be an index, but '%f' is f32
// A float constant is not a bound.
avial.schedule %u : memref<8xi32> {
  %cpu = avial.target {arch = "x86_64"}
  %f = arith.constant 4.0 : f32
  scf.for %t = 0 to %f {
    %a = avial.task %cpu writes(%u) {
      %c0 = arith.constant 0 : index
      %v = arith.constant 1 : i32
      memref.store %v, %u[%c0] : memref<8xi32>
    }
  }
}
