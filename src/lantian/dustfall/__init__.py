"""Dust fall (降尘, plan tasks 1 and 33): the GB/T 15265 computation and quality control of a
monthly sample (:mod:`lantian.dustfall.method`), each township's monthly value from its valid
samples and the monthly report to the province's and Zhengzhou's monitoring stations
(:mod:`lantian.dustfall.service`). The sites and samples themselves are two registers,
:mod:`lantian.sources.kinds.dust_fall_sites` and :mod:`lantian.sources.kinds.dust_fall_samples`."""
