// expect: 9:8: error: the induction variable of 'scf.for' in 'avial.schedule' must be an index, not i32
// The induction variable of a schedule loop is an index.
avial.schedule %u : memref<8xi32> {
  %cpu = avial.target {arch = "x86_64"}
  %c0 = "arith.constant"() <{value = 0 : index}> : () -> index
  %c4 = "arith.constant"() <{value = 4 : index}> : () -> index
  %c1 = "arith.constant"() <{value = 1 : index}> : () -> index
  "scf.for"(%c0, %c4, %c1) ({
  ^bb0(%t: i32):
    "scf.yield"() : () -> ()
  }) : (index, index, index) -> ()
}
