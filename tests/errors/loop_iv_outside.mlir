// expect: 13:27: error: use of undefined value '%t'
// The induction variable is defined only inside its loop.
avial.schedule %u : memref<8xi32> {
  %cpu = avial.target {arch = "x86_64"}
  scf.for %t = 0 to 4 {
    %a = avial.task %cpu writes(%u) {
      %c0 = arith.constant 0 : index
      %v = arith.constant 1 : i32
      memref.store %v, %u[%c0] : memref<8xi32>
    }
  }
  %b = avial.task %cpu writes(%u) {
    %v = arith.index_cast %t : index to i32
    memref.store %v, %u[%t] : memref<8xi32>
  }
}
