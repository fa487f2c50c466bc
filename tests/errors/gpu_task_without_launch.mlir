// expect: 9:5: error: task '%t1' runs on GPU target '%gpu' (sm_90), so its work must be inside 'gpu.launch'; found 'scf.parallel'
// A task on a GPU target must do its work inside gpu.launch.
avial.schedule %a, %b : memref<4xi32>, memref<4xi32> {
  %gpu = avial.target {arch = "sm_90"}
  %t1 = avial.task %gpu reads(%a) writes(%b) {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %c4 = arith.constant 4 : index
    scf.parallel (%i) = (%c0) to (%c4) step (%c1) {
      %x = memref.load %a[%i] : memref<4xi32>
      memref.store %x, %b[%i] : memref<4xi32>
    }
  }
}
