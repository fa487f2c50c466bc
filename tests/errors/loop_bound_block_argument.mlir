// expect: 8:25: error: the upper bound of 'scf.for' in 'avial.schedule' must be a constant index ('arith.constant' in the schedule region, or an integer literal), but '%n' is a value of type index
// The bounds of a schedule loop are constants: the trip count is known at translation.
func.func @main(%u: memref<8xi32>, %n: index) {
  avial.schedule %u : memref<8xi32> {
    %cpu = avial.target {arch = "x86_64"}
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    scf.for %t = %c0 to %n step %c1 {
      %a = avial.task %cpu writes(%u) {
        %v = arith.index_cast %t : index to i32
        memref.store %v, %u[%c0] : memref<8xi32>
      }
    }
  }
  return
}
