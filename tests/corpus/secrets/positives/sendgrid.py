sg = SendGridAPIClient('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')
