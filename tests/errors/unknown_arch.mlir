// expect: 4:10: error: unknown arch 'sm_99' for 'avial.target'; expected a CPU (x86_64, aarch64, cpu) or a CUDA arch (gpu, sm_70, sm_72, sm_75, sm_80, sm_86, sm_87, sm_88, sm_89, sm_90, sm_90a, sm_100, sm_100a, sm_100f, sm_101, sm_101a, sm_103, sm_103a, sm_110, sm_110a, sm_120, sm_120a, sm_120f, sm_121, sm_121a)
// sm_99 is not a CUDA arch avial2c knows.
avial.schedule %a : memref<4xi32> {
  %gpu = avial.target {arch = "sm_99"}
}
