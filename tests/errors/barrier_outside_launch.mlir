// expect: 8:5: error: 'gpu.barrier' is only allowed inside 'gpu.launch'
// gpu.barrier only makes sense among the threads of a gpu.launch.
avial.schedule %a, %b : memref<4xi32>, memref<4xi32> {
  %cpu = avial.target {arch = "x86_64"}
  %t1 = avial.task %cpu reads(%a) writes(%b) {
    %c0 = arith.constant 0 : index
    %x = memref.load %a[%c0] : memref<4xi32>
    gpu.barrier
    memref.store %x, %b[%c0] : memref<4xi32>
  }
}
