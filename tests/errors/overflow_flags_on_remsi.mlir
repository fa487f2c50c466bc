// expect: 8:29: error: 'arith.remsi' takes no overflow<...> flags
// Only arith.addi, subi, muli, shli and trunci take overflow<...> flags.
avial.schedule %a : memref<4xi32> {
  %cpu = avial.target {arch = "x86_64"}
  %t1 = avial.task %cpu reads(%a) writes(%a) {
    %c0 = arith.constant 0 : index
    %x = memref.load %a[%c0] : memref<4xi32>
    %y = arith.remsi %x, %x overflow<nsw> : i32
    memref.store %y, %a[%c0] : memref<4xi32>
  }
}
