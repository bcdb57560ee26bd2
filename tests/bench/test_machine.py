from bench.machine import describe_cpu

CPUINFO = """processor\t: 0
vendor_id\t: AuthenticAMD
cpu family\t: 25
model\t\t: 1
model name\t: AMD EPYC 7B13
stepping\t: 0

processor\t: 1
cpu family\t: 25
model\t\t: 1
model name\t: AMD EPYC 7B13
"""


def test_the_cpu_is_named_with_its_family_model_and_torch_kernels() -> None:
    assert describe_cpu(CPUINFO, "AVX2") == "AMD EPYC 7B13 (family 25, model 1; AVX2 kernels)"
    # two CPUs sold under one name differ in their numbers or kernels
    other = CPUINFO.replace("model\t\t: 1", "model\t\t: 17")
    assert describe_cpu(other, "AVX512") == "AMD EPYC 7B13 (family 25, model 17; AVX512 kernels)"


def test_without_cpuinfo_the_kernels_still_show() -> None:
    assert describe_cpu("", "DEFAULT").endswith("(DEFAULT kernels)")
