// expect: 8:10: error: 'arith.addi' takes 2 operand(s), but 1 are given
// A binary op has two operands.
avial.schedule %a : memref<4xi32> {
  %cpu = avial.target {arch = "x86_64"}
  %t1 = avial.task %cpu reads(%a) writes(%a) {
    %c0 = arith.constant 0 : index
    %x = memref.load %a[%c0] : memref<4xi32>
    %y = arith.addi %x : i32
    memref.store %y, %a[%c0] : memref<4xi32>
  }
}
