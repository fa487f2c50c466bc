// expect: 7:25: error: integer constant 18446744073709551615 is out of range for index
// MLIR reads an index constant as signed only: 0xFFFFFFFFFFFFFFFF is no index.
avial.schedule %a : memref<4xindex> {
  %cpu = avial.target {arch = "x86_64"}
  %t1 = avial.task %cpu writes(%a) {
    %c0 = arith.constant 0 : index
    %x = arith.constant 0xFFFFFFFFFFFFFFFF : index
    memref.store %x, %a[%c0] : memref<4xindex>
  }
}
