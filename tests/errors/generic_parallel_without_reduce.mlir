// expect: 11:7: error: a region of 'scf.parallel' must end with 'scf.reduce' in the generic form, but it ends with 'memref.store'
// In the generic form no terminator is implicit: the body of scf.parallel
// ends with "scf.reduce"() : () -> ().
avial.schedule %a : memref<4xindex> {
  %cpu = avial.target {arch = "x86_64"}
  %t1 = avial.task %cpu writes(%a) {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    "scf.parallel"(%c0, %c1, %c1) <{operandSegmentSizes = array<i32: 1, 1, 1, 0>}> ({
    ^bb0(%i: index):
      memref.store %i, %a[%i] : memref<4xindex>
    }) : (index, index, index) -> ()
  }
}
