// expect: 6:5: error: unsupported operation 'linalg.copy'
// linalg is not among the dialects a task body may use.
avial.schedule %a, %b : memref<4xf32>, memref<4xf32> {
  %cpu = avial.target {arch = "x86_64"}
  %t1 = avial.task %cpu reads(%a) writes(%b) {
    "linalg.copy"(%a, %b) : (memref<4xf32>, memref<4xf32>) -> ()
  }
}
