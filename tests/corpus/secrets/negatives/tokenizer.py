def tokenize(source):
    tokens = []
    for token in generate_tokens(source):
        tokens.append(token)
    return tokens

TOKEN_TYPES = {'NAME': 1, 'NUMBER': 2}
