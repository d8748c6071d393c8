# The same kernels as kalman.pyx, compiled for x86-64 processors with AVX2 and
# FMA (setup.py adds -mavx2 -mfma): fused multiply-adds shorten every chain of
# a * b + c. tracker.kalman picks this build when the processor has both.
include "kalman.pyx"
