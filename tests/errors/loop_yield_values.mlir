// expect: 7:5: error: 'scf.yield' of 'scf.for' in 'avial.schedule' cannot yield values: tasks communicate through memrefs
// The terminator of a schedule loop yields nothing.
avial.schedule %u : memref<8xi32> {
  %cpu = avial.target {arch = "x86_64"}
  %c0 = arith.constant 0 : index
  scf.for %t = 0 to 4 {
    scf.yield %c0 : index
  }
}
