export const apiToken = "OEBiUyaWGz8jMwBjOe64yewuMzQH4xG4vEs6rCcx";
