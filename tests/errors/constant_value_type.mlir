// expect: 7:32: error: the value of 'arith.constant' has type index, but its result has type i32
// In the generic form, the value of arith.constant must have the result type.
avial.schedule %a : memref<4xi32> {
  %cpu = avial.target {arch = "x86_64"}
  %t1 = avial.task %cpu writes(%a) {
    %c0 = arith.constant 0 : index
    %c7 = "arith.constant"() <{value = 7 : index}> : () -> i32
    memref.store %c7, %a[%c0] : memref<4xi32>
  }
}
