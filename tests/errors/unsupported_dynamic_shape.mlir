// expect: 3:21: error: unsupported type 'memref<?xf32>': dynamic shapes are not supported
// Dynamic shapes are not supported: every memref needs a static shape.
func.func @main(%a: memref<?xf32>) {
  avial.schedule %a : memref<?xf32> {
    %cpu = avial.target {arch = "x86_64"}
  }
  return
}
