// expect: 4:31: error: unterminated string: the closing '"' is missing on this line
// The arch string is not closed.
avial.schedule %a : memref<4xi32> {
  %cpu = avial.target {arch = "x86_64}
}
