// expect: 9:3: error: the body of 'scf.for' in 'avial.schedule' takes one argument, the induction variable
// The body of a schedule loop takes the induction variable only.
avial.schedule %u : memref<8xi32> {
  %cpu = avial.target {arch = "x86_64"}
  %c0 = "arith.constant"() <{value = 0 : index}> : () -> index
  %c4 = "arith.constant"() <{value = 4 : index}> : () -> index
  %c1 = "arith.constant"() <{value = 1 : index}> : () -> index
  "scf.for"(%c0, %c4, %c1) ({
  ^bb0(%t: index, %s: index):
    "scf.yield"() : () -> ()
  }) : (index, index, index) -> ()
}
