const client = new WebClient('xoxb-109223832446-7755229561601-eiKlV00AcDmLJQCmcwZb2oh6');
