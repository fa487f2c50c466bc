// expect: 4:31: error: unknown escape '\q' in string "x86\q64"
// A string's escapes are MLIR's: \\ \" \n \t and \XX (a byte, in hexadecimal).
avial.schedule %a : memref<4xi32> {
  %cpu = avial.target {arch = "x86\q64"}
  %t1 = avial.task %cpu writes(%a) {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : i32
    memref.store %c1, %a[%c0] : memref<4xi32>
  }
}
