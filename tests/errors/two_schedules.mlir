// expect: 6:1: error: more than one 'avial.schedule' in the file; avial2c translates one schedule per file
// avial2c translates one schedule per file.
avial.schedule %a : memref<4xi32> {
  %cpu = avial.target {arch = "x86_64"}
}
avial.schedule %b : memref<4xi32> {
  %cpu = avial.target {arch = "x86_64"}
}
