// expect: 4:16: error: cannot determine the type of memref '%a' (its shape is unknown); annotate it, e.g. 'avial.schedule %a : memref<20xi32>'
// %b is only indexed by the thread id of a terse gpu.launch, whose extent
// itself comes from %b: its shape cannot be inferred.
avial.schedule %a, %b
{
  %gpu = avial.target{arch = "sm_90"}
  %t1 = avial.task %gpu, %a, %b
  {
    gpu.launch
    {
      %tid = gpu.thread_id x
      %x = memref.load %a[%tid]
      %y = arith.addi %x, %x
      memref.store %y, %b[%tid]
    }
  }
}
