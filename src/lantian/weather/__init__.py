"""Weather observations and the meteorological normalisation of the pollutant series (issue 18):
the effect of the measures net of weather."""
