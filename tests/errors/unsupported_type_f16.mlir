// expect: 3:21: error: unsupported type 'memref<4xf16>': element type 'f16' is not supported (use one of i1, i8, i16, i32, i64, index, f32, f64)
// f16 is not a supported element type.
avial.schedule %a : memref<4xf16> {
  %cpu = avial.target {arch = "x86_64"}
}
