from auth_service.sessions.devices import device_label, network_of

FIREFOX_UBUNTU = "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"
CHROME_ANDROID = (
    "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36"
)
SAFARI_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.5 Mobile/15E148 Safari/604.1"
)
CHROME_MAC = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)


def test_labels_name_the_browser_and_the_platform() -> None:
    assert device_label(FIREFOX_UBUNTU) == "Firefox 133 on Ubuntu"
    assert device_label(CHROME_ANDROID) == "Chrome on Android"
    assert device_label(SAFARI_IPHONE) == "Safari on iPhone"
    assert device_label(CHROME_MAC) == "Chrome 131 on macOS"


def test_the_device_key_has_no_browser_version() -> None:
    assert device_label(FIREFOX_UBUNTU, with_version=False) == "Firefox on Ubuntu"
    assert device_label(FIREFOX_UBUNTU.replace("133.0", "134.0"), with_version=False) == "Firefox on Ubuntu"


def test_what_no_rule_matches_is_an_unknown_device() -> None:
    assert device_label("") == "Unknown device"
    assert device_label("testclient") == "Unknown device"
    assert device_label("python-httpx/0.28.1") == "Unknown device"


def test_addresses_are_truncated_to_their_network() -> None:
    assert network_of("203.0.113.77") == "203.0.113.0/24"
    assert network_of("2001:db8:1234:5678::1") == "2001:db8:1234::/48"
    assert network_of("::ffff:198.51.100.9") == "198.51.100.0/24"
    assert network_of("testclient") == ""
    assert network_of("unknown") == ""
