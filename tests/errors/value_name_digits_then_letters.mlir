// expect: 7:5: error: '%1x' is not a valid value name: after '%' comes a number ('%1') or a name that does not start with a digit ('%x1')
// A value name is a number (%1) or starts with a non-digit (%x1), as in MLIR.
avial.schedule %a : memref<4xi32> {
  %cpu = avial.target {arch = "x86_64"}
  %t1 = avial.task %cpu writes(%a) {
    %c0 = arith.constant 0 : index
    %1x = arith.constant 1 : i32
    memref.store %1x, %a[%c0] : memref<4xi32>
  }
}
