// expect: 6:55: error: string "\FF" holds bytes that are not UTF-8, which is not supported
// \XX escapes are the bytes of the string's UTF-8 text ("\C3\BC" is "ü");
// MLIR allows any bytes, avial2c only UTF-8 text.
avial.schedule %a : memref<4xi32> {
  %cpu = avial.target {arch = "x86_64"}
  %t1 = avial.task %cpu writes(%a) attributes {name = "\FF"} {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : i32
    memref.store %c1, %a[%c0] : memref<4xi32>
  }
}
