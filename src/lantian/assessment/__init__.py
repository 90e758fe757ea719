"""Monthly township assessment (乡镇考核): the plan's "对乡镇空气质量实施考核" (seed line 35) and
task 33's dust fall "纳入乡镇党政领导干部考核问责范围", as one published monthly ranking of the
townships, sub-districts and the scenic area combining air quality, dust fall, task progress and
cases (see :mod:`lantian.assessment.components` for the method)."""
