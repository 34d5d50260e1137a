<?php
/**
 * Signs a Passaparola invitation link (docs/invitation-links.md), with no API call.
 *
 * Plain PHP 7.4 or later, nothing beyond what every PHP has (hash, PCRE). Use the function
 * from your own code:
 *
 *     require 'invitation_link.php';
 *     $url = invitation_link('https://reviews.example.org', 'trattoria-da-gino', $secret,
 *                            'ORD-2024/0042', 'customer', null, 'maria.rossi+ordini@example.it');
 *
 * or try it from a shell (a secret on the command line is visible to the machine's other
 * users, in `ps` and in shell history: do this with a test secret only):
 *
 *     php invitation_link.php BASE_URL SLUG SECRET REF [EXP [EMAIL]]
 *
 * EXP is a Unix time in seconds (empty or absent: 30 days from now); EMAIL may be absent.
 * Every string must be UTF-8: convert text from a Latin-1 database first.
 */

declare(strict_types=1);

/** How long a link stays valid unless you say otherwise: keep it short. */
const PASSAPAROLA_DEFAULT_VALIDITY_SECONDS = 30 * 24 * 60 * 60;

/**
 * The signed link that invites the customer of order $ref to review $slug.
 *
 * $base_url is where your Passaparola instance is reached (https://reviews.example.org),
 * $secret the link secret from `passaparola business link-secret --slug SLUG`, $exp the Unix
 * time (seconds) after which the link no longer works (30 days from now by default), $email
 * the customer's address or '' for none.
 */
function invitation_link(
    string $base_url,
    string $slug,
    string $secret,
    string $ref,
    string $rel = 'customer',
    ?int $exp = null,
    string $email = ''
): string {
    if ($exp === null) {
        $exp = time() + PASSAPAROLA_DEFAULT_VALIDITY_SECONDS;
    }
    $fields = ['slug' => $slug, 'ref' => $ref, 'rel' => $rel, 'email' => $email];
    foreach ($fields as $name => $value) {
        if (strpos($value, "\n") !== false) {
            throw new InvalidArgumentException("$name must not contain a line break");
        }
    }
    // The signed text: six lines joined by "\n", no line break at the end.
    $text = implode("\n", ['v1', $slug, $ref, $rel, (string) $exp, $email]);
    // true: the raw 32 bytes, not hex.
    $mac = hash_hmac('sha256', $text, $secret, true);
    $sig = rtrim(strtr(base64_encode($mac), '+/', '-_'), '=');
    $params = ['ref' => $ref, 'rel' => $rel, 'exp' => (string) $exp];
    if ($email !== '') {
        $params['email'] = $email;
    }
    $params['sig'] = $sig;
    // RFC 3986: every reserved character percent-encoded, spaces as %20; '&' whatever
    // arg_separator.output says.
    $query = http_build_query($params, '', '&', PHP_QUERY_RFC3986);
    return rtrim($base_url, '/') . '/i/' . rawurlencode($slug) . '?' . $query;
}

// Run as a script (not included): print one link.
if (PHP_SAPI === 'cli' && isset($argv[0]) && realpath($argv[0]) === __FILE__) {
    if ($argc < 5 || $argc > 7) {
        fwrite(STDERR, "usage: invitation_link.php BASE_URL SLUG SECRET REF [EXP [EMAIL]]\n");
        exit(2);
    }
    $exp = null;
    if (isset($argv[5]) && $argv[5] !== '') {
        if (!preg_match('/^[0-9]+$/', $argv[5])) {
            fwrite(STDERR, "EXP must be a Unix time in seconds\n");
            exit(2);
        }
        $exp = (int) $argv[5];
    }
    echo invitation_link($argv[1], $argv[2], $argv[3], $argv[4], 'customer', $exp, $argv[6] ?? ''), "\n";
}
