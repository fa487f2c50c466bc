// expect: 8:8: error: 'scf.for' in 'avial.schedule' cannot carry values ('iter_args'): tasks communicate through memrefs
// The same in the generic form: an init value and a block argument for it.
avial.schedule %u : memref<8xi32> {
  %cpu = avial.target {arch = "x86_64"}
  %c0 = "arith.constant"() <{value = 0 : index}> : () -> index
  %c4 = "arith.constant"() <{value = 4 : index}> : () -> index
  %c1 = "arith.constant"() <{value = 1 : index}> : () -> index
  %r = "scf.for"(%c0, %c4, %c1, %c0) ({
  ^bb0(%t: index, %acc: index):
    "scf.yield"(%acc) : (index) -> ()
  }) : (index, index, index, index) -> index
}
