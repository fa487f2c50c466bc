// expect: 8:8: error: 'scf.for' in 'avial.schedule' cannot carry values ('iter_args'): tasks communicate through memrefs
// A schedule loop cannot carry values: tasks communicate through memrefs.
avial.schedule %u : memref<8xi32> {
  %cpu = avial.target {arch = "x86_64"}
  %c0 = arith.constant 0 : index
  %c4 = arith.constant 4 : index
  %c1 = arith.constant 1 : index
  %r = scf.for %t = %c0 to %c4 step %c1 iter_args(%acc = %c0) -> (index) {
    %a = avial.task %cpu writes(%u) {
      %c0 = arith.constant 0 : index
      %v = arith.constant 1 : i32
      memref.store %v, %u[%c0] : memref<8xi32>
    }
    scf.yield %acc : index
  }
}
